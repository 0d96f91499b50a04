;; v128 values take two slots; lane loads and stores become a scalar access plus a lane op;
;; shuffle and bitselect update their first operand in place.
(module
  (memory 1)
  (func (param v128 v128) (result v128)
    (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4)))
  (func (param i32 v128) (result v128)
    (v128.load16_lane offset=2 5 (local.get 0) (local.get 1)))
  (func (param i32 v128)
    (v128.store64_lane 1 (local.get 0) (local.get 1)))
  (func (param v128 v128) (result v128)
    (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 0) (local.get 1)))
  (func (param v128 v128 v128) (result v128)
    (v128.bitselect (local.get 0) (local.get 1) (local.get 2)))
  (func (param v128) (result i32)
    (i32.add (i8x16.extract_lane_s 3 (local.get 0)) (i8x16.bitmask (local.get 0))))
  (func (param v128 f32) (result v128)
    (f32x4.replace_lane 2 (local.get 0) (local.get 1)))
)
