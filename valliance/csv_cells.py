"""Cells of the CSV files people download and open in a spreadsheet."""


def text_cell(value) -> str:
    """A cell's text, kept text: a spreadsheet runs a cell that starts like a formula (=, +, -,
    @, a tab or a carriage return), so such a cell gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
