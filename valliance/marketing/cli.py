"""`flask rfm …` and `flask segments …` (contract §11)."""

from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.marketing.campaigns_cli import campaigns_cli
from valliance.marketing.expiry_cli import expiry_cli
from valliance.marketing.segments_cli import segments_cli
from valliance.marketing.services import rfm

rfm_cli = AppGroup("rfm", help="RFM scores of the alliance's members.")


@rfm_cli.command("score", cls=JsonCommand)
@json_option
def score_command(as_json: bool):
    """Score every active member now (replaces the previous run's scores in one transaction):
    {"scored", "cells": {cell: count}}."""
    run = transaction(lambda: rfm.score_members(db.session), as_json)
    payload = run.as_json()
    emit(as_json, payload, "\n".join([f"scored: {run.scored}"] + [
        f"{cell}: {count}" for cell, count in run.cells.items()]))


COMMANDS: tuple = (rfm_cli, segments_cli, campaigns_cli, expiry_cli)
