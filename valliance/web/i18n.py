"""The visitor's language on pages."""

from valliance.extensions import select_locale


def english() -> bool:
    """Whether this request is shown in English."""
    return select_locale() == "en"


def tr(zh: str, en: str) -> str:
    """Pick the text of the visitor's language."""
    return en if english() else zh


def bilingual(message: str) -> str:
    """Show one half of a "中文 / English" message."""
    zh, _, en = str(message).partition(" / ")
    return (en or zh) if english() else zh
