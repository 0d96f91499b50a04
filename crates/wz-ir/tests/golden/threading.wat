;; Jump threading: a `br` to a `br` goes to the second one's target, a `br` to a `return`
;; becomes that `return`, and `br_table` entries keep their plain `br`s.
(module
  (func (param i32) (result i32)
    (block $out
      (block $mid
        (br_if $out (local.get 0))
        (br $mid))
      (br $out))
    (i32.add (local.get 0) (i32.const 7)))
  (func (param i32) (result i32)
    (block $b
      (block $a
        (br_table $a $b (local.get 0)))
      (return (i32.const 2)))
    (i32.const 3)))
