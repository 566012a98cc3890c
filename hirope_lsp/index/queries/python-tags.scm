; Added to tree-sitter-python's tags.scm: the modules a file imports, so that related files can be found.

(import_statement
  name: [
    (dotted_name) @name
    (aliased_import name: (dotted_name) @name)
  ]) @reference.import

(import_from_statement
  module_name: [(dotted_name) (relative_import)] @name) @reference.import
