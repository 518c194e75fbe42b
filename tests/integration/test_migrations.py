from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from valliance.extensions import db


def test_the_migrations_build_exactly_the_models_schema(session):
    """The suite's schema comes from the migrations; they must agree with the models."""
    context = MigrationContext.configure(session.connection())
    assert compare_metadata(context, db.metadata) == []
