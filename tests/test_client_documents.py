# SPDX-License-Identifier: GPL-3.0-or-later
"""Every GraphQL document the client sends is one named operation that validates against lib/schema.graphql."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from lib import documents

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema((ROOT / "lib" / "schema.graphql").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", documents.names())
def test_document_validates_against_the_schema(name):
    document = parse(documents.load(name))
    assert validate(SCHEMA, document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in operations] == [name]  # one operation, named as its file


def test_every_operation_the_code_sends_has_a_document():
    sent = set()
    for path in (ROOT / "lib").glob("*.py"):
        sent |= set(re.findall(r'execute\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
        sent |= set(re.findall(r'_create\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
        sent |= set(re.findall(r'raw_(?:items|pages)\([^"]*"(\w+)"', path.read_text(encoding="utf-8")))
        sent |= set(re.findall(r'list_operation = "(\w+)"', path.read_text(encoding="utf-8")))  # resource.Resource
    assert sent, "found no operations in lib/*.py"
    assert sent <= set(documents.names()), sent - set(documents.names())
    # and no document is dead weight
    assert set(documents.names()) <= sent, set(documents.names()) - sent


def test_documents_carry_no_code_strings():
    # The documents live apart from the code: no .py file in lib holds a GraphQL operation.
    for path in (ROOT / "lib").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(query|mutation)\s+[A-Z]\w*\s*[({]", text), path
