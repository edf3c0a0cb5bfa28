pub mod fake_arr;
