from __future__ import annotations

import pytest
from psycopg import sql

from app.core.sql import set_clause


def test_set_clause_quotes_allowed_columns_and_refuses_others() -> None:
    clause = set_clause(["name", "type"], frozenset({"name", "type", "status"}))
    assert isinstance(clause, sql.Composed)
    assert [part.as_string(None) for part in clause] == ['"name" = %s', ", ", '"type" = %s']  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not updatable: org_id"):
        set_clause(["name", "org_id"], frozenset({"name"}))
