# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounds on a GraphQL query, checked before it is validated, so no query costs more than a few ms.

graphql-core's validation (overlapping-fields checks above all) grows with the square of the
number of fields: a 60 KB query of repeated fields took minutes of CPU. A query is parsed with a
token limit, then its depth, field count and aliases are counted on the syntax tree (fragments
expanded at each spread) and refused past these limits. The client's largest document is ~2 KB;
graphql-core's introspection query is 1.5 KB: 468 selections, depth 13, at most 11 side by side.
"""
from __future__ import annotations

from graphql import GraphQLError, parse
from graphql.language import (DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode,
                              InlineFragmentNode, OperationDefinitionNode, SelectionSetNode)

MAX_QUERY_CHARS = 16 * 1024
MAX_TOKENS = 4000
MAX_DEPTH = 15
MAX_SELECTIONS = 1000  # fields and fragment spreads, fragments expanded where they are spread
MAX_WIDTH = 50  # fields side by side in one selection set: validation compares them pairwise
MAX_ALIASES = 30


class QueryTooLarge(Exception):
    """The query text is longer than MAX_QUERY_CHARS (answered with HTTP 413)."""


class QueryRefused(Exception):
    """The query parses but is deeper, wider or more aliased than this server accepts."""


def parse_bounded(query: str) -> DocumentNode:
    """Parse a query within the limits; QueryTooLarge, QueryRefused, or GraphQLError for bad syntax."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(f"The query is {len(query)} characters long; this server accepts at most "
                            f"{MAX_QUERY_CHARS}.")
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except RecursionError:
        raise QueryRefused(f"The query nests deeper than {MAX_DEPTH} levels.") from None
    except GraphQLError as err:
        if "token limit" in err.message:
            raise QueryRefused(f"The query has more than {MAX_TOKENS} tokens.") from None
        raise
    _Counter(document).check()
    return document


class _Counter:
    def __init__(self, document: DocumentNode):
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.selections = 0
        self.aliases = 0

    def check(self) -> None:
        for operation in self.operations:
            self._walk(operation.selection_set, 1, ())
        for fragment in self.fragments.values():  # unused fragments are still validated: count them too
            self._walk(fragment.selection_set, 1, (fragment.name.value,))

    def _walk(self, selections: SelectionSetNode | None, depth: int, spreading: tuple[str, ...],
              merged: bool = False) -> int:
        """Count one selection set (fragments spread into it belong to it); returns its width in fields."""
        if selections is None:
            return 0
        if depth > MAX_DEPTH:
            raise QueryRefused(f"The query nests deeper than {MAX_DEPTH} levels.")
        width = 0
        for selection in selections.selections:
            self.selections += 1  # spreads count too: fragments spreading fragments would double each time
            if self.selections > MAX_SELECTIONS:
                raise QueryRefused(f"The query selects more than {MAX_SELECTIONS} fields and fragments.")
            if isinstance(selection, FieldNode):
                width += 1
                self.aliases += selection.alias is not None
                if self.aliases > MAX_ALIASES:
                    raise QueryRefused(f"The query uses more than {MAX_ALIASES} aliases.")
                self._walk(selection.selection_set, depth + 1, spreading)
            elif isinstance(selection, InlineFragmentNode):
                width += self._walk(selection.selection_set, depth, spreading, merged=True)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in spreading:  # a cycle is left to validation to report
                    width += self._walk(fragment.selection_set, depth, spreading + (name,), merged=True)
        if not merged and width > MAX_WIDTH:
            raise QueryRefused(f"The query selects {width} fields side by side; this server accepts at most "
                               f"{MAX_WIDTH} in one selection.")
        return width
