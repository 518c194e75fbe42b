from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from valliance.directory.models import include_object
from valliance.extensions import db


def test_the_migrations_build_exactly_the_models_schema(session):
    """The suite's schema comes from the migrations; they must agree with the models."""
    # include_object: as migrations/env.py, leave out the search engine's own tables and indexes
    context = MigrationContext.configure(session.connection(),
                                         opts={"include_object": include_object})
    assert compare_metadata(context, db.metadata) == []
