//! Integration tests of the AWS JSON 1.1 framing: hostile request bodies and targets.

mod fuzz;
