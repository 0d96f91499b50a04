;; Calls place arguments in consecutive slots; results replace them.
(module
  (type $t (func (param i64) (result i64)))
  (table 1 funcref)
  (func $f (type $t) (i64.mul (local.get 0) (local.get 0)))
  (func (param i64) (result i64)
    (call_indirect (type $t) (call $f (local.get 0)) (i32.const 0))))
