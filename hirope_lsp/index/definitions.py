"""Per-language data: which syntax nodes are definitions, and how other nodes relate to them.

The outline (outline.py) turns a file into units with these rules and no language-specific code:

- `definitions`: node type -> unit kind. Each top-level definition is its own unit; definitions
  nested in it become its children.
- `wrappers`: node types that stand for the definition inside them (a decorated function, an
  `export class`, a `template <...>` function, `const f = () => ...`). A wrapper without a definition
  inside is an ordinary statement.
- `leading`: node types that belong to whatever follows them (comments, decorators, attributes).
- `transparent`: node types whose contents are laid out as if they were top level (a C++ namespace,
  an include guard), so that a file wrapped in one still splits into units. The value is the field
  that holds the contents, or "" for the node's own children without a field (and its `alternative`,
  the #else branch).
- `body_required`: node types that are definitions only with a `body` (C's `struct ring { ... }`,
  not the `struct ring *` of a parameter list).

Names come from the `name` field, else by following `declarator` (C's `int *f(void)`), else `type`
(Rust's `impl Display for Circle` is named "Circle").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class DefinitionRules:
    """How to find the definitions of one language; see the module docstring."""

    definitions: Mapping[str, str]
    wrappers: frozenset[str] = frozenset()
    leading: frozenset[str] = frozenset({"comment"})
    transparent: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    body_required: frozenset[str] = frozenset()


def _rules(
    definitions: dict[str, str],
    wrappers: set[str] | None = None,
    leading: set[str] | None = None,
    transparent: dict[str, str] | None = None,
    body_required: set[str] | None = None,
) -> DefinitionRules:
    return DefinitionRules(
        definitions=MappingProxyType(definitions),
        wrappers=frozenset(wrappers or ()),
        leading=frozenset(leading or {"comment"}),
        transparent=MappingProxyType(transparent or {}),
        body_required=frozenset(body_required or ()),
    )


PYTHON = _rules(
    {"function_definition": "function", "class_definition": "class"},
    wrappers={"decorated_definition"},
)

_JAVASCRIPT_DEFINITIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "method_definition": "method",
    # Only named through a wrapper: `const f = () => ...`; an anonymous callback has no name and is skipped.
    "arrow_function": "function",
    "function_expression": "function",
}
_JAVASCRIPT_WRAPPERS = {"export_statement", "lexical_declaration", "variable_declaration", "variable_declarator"}

JAVASCRIPT = _rules(_JAVASCRIPT_DEFINITIONS, wrappers=_JAVASCRIPT_WRAPPERS)

TYPESCRIPT = _rules(
    {
        **_JAVASCRIPT_DEFINITIONS,
        "abstract_class_declaration": "class",
        "interface_declaration": "interface",
        "type_alias_declaration": "type",
        "enum_declaration": "enum",
        "function_signature": "function",
        "method_signature": "method",
        "abstract_method_signature": "method",
        "internal_module": "module",
        "module": "module",
    },
    # `namespace A {}` parses as an expression statement holding an internal_module.
    wrappers=_JAVASCRIPT_WRAPPERS | {"ambient_declaration", "expression_statement"},
)

GO = _rules(
    {"function_declaration": "function", "method_declaration": "method", "type_spec": "type"},
    wrappers={"type_declaration"},
)

RUST = _rules(
    {
        "function_item": "function",
        "function_signature_item": "function",
        "struct_item": "struct",
        "enum_item": "enum",
        "union_item": "struct",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": "module",
        "macro_definition": "macro",
        "type_item": "type",
    },
    leading={"line_comment", "block_comment", "attribute_item"},
)

JAVA = _rules(
    {
        "class_declaration": "class",
        "interface_declaration": "interface",
        "enum_declaration": "enum",
        "record_declaration": "class",
        "annotation_type_declaration": "interface",
        "method_declaration": "method",
        "constructor_declaration": "method",
    },
    leading={"line_comment", "block_comment"},
)

_C_DEFINITIONS = {
    "function_definition": "function",
    "struct_specifier": "struct",
    "union_specifier": "struct",
    "enum_specifier": "enum",
    "type_definition": "type",
}
_PREPROCESSOR_CONDITIONALS = {"preproc_ifdef": "", "preproc_if": "", "preproc_else": "", "preproc_elif": ""}

_C_BODY_REQUIRED = {"struct_specifier", "union_specifier", "enum_specifier"}

C = _rules(_C_DEFINITIONS, transparent=_PREPROCESSOR_CONDITIONALS, body_required=_C_BODY_REQUIRED)

CPP = _rules(
    {**_C_DEFINITIONS, "class_specifier": "class"},
    wrappers={"template_declaration"},
    transparent={**_PREPROCESSOR_CONDITIONALS, "namespace_definition": "body"},
    body_required=_C_BODY_REQUIRED | {"class_specifier"},
)
