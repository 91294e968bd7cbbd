//! The generator is deterministic, mutations stay bounded, and a panic is reported with its
//! input.

use super::*;

#[test]
fn a_seed_gives_the_same_mutations() {
    let run = |seed| {
        let mut rng = Rng::new(seed);
        (0..50).map(|_| mutate(&mut rng, b"{\"a\":[1,2]}", &[b"xyz".to_vec()])).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    assert!(run(7).iter().all(|m| m.len() < 11 + 8 * 64 * 4));
}

#[test]
fn a_panic_is_reported_with_its_input_in_hex() {
    let caught = catch_unwind(|| {
        run("demo", 1000, |rng| vec![rng.below(4) as u8], |input| assert_ne!(input[0], 3));
    });
    let message = caught.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("fuzz `demo`") && message.contains("input (hex): 03"), "{message}");
}
