; Added to tree-sitter-javascript's and tree-sitter-typescript's tags.scm: type aliases and enums.

(type_alias_declaration
  name: (type_identifier) @name) @definition.type

(enum_declaration
  name: (identifier) @name) @definition.enum
