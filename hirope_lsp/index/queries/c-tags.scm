; Added to tree-sitter-c's tags.scm, which has definitions only: calls.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression field: (field_identifier) @name)) @reference.call
