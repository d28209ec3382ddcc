//! Dynamic power sharing: which module serves which connector, through the switch matrix.
//!
//! Rules: a module serves at most one connector (the result is one `Option` per module); only
//! healthy modules that the matrix allows are given; a connector keeps its modules while it
//! needs them (moving a module means switching it off and opening a matrix contactor, reference
//! section 6.5, so moves are minimised); modules beyond a connector's need go back to the pool;
//! a connector with unmet need first takes free modules, then one from a connector holding at
//! least two more modules than it, so that scarce modules end up shared evenly.

/// What the allocator knows about one module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModuleAvail {
    /// Not faulted, not lost.
    pub healthy: bool,
    /// The connector it serves now.
    pub owner: Option<usize>,
    /// What it can deliver at the connector's voltage, W.
    pub capacity_w: f64,
}

fn count(assign: &[Option<usize>], c: usize) -> usize {
    assign.iter().filter(|a| **a == Some(c)).count()
}

fn capacity(assign: &[Option<usize>], modules: &[ModuleAvail], c: usize) -> f64 {
    assign
        .iter()
        .zip(modules)
        .filter(|(a, _)| **a == Some(c))
        .map(|(_, m)| m.capacity_w)
        .sum()
}

/// Gives back what a connector does not need, last modules first.
fn trim(
    assign: &mut [Option<usize>],
    modules: &[ModuleAvail],
    connectors: usize,
    need: &dyn Fn(usize) -> f64,
) {
    for c in 0..connectors {
        for m in (0..modules.len()).rev() {
            if assign[m] == Some(c)
                && capacity(assign, modules, c) - modules[m].capacity_w >= need(c)
            {
                assign[m] = None;
            }
        }
    }
}

/// Serves unmet needs: fewest-modules connector first, free modules first, then fair stealing.
fn fill(
    assign: &mut [Option<usize>],
    modules: &[ModuleAvail],
    connectors: usize,
    need: &dyn Fn(usize) -> f64,
    allowed: &dyn Fn(usize, usize) -> bool,
) {
    let mut settled = vec![false; connectors];
    loop {
        let unmet =
            (0..connectors).filter(|&c| !settled[c] && capacity(assign, modules, c) < need(c));
        let Some(c) = unmet.min_by(|&a, &b| {
            let gap = |x: usize| need(x) - capacity(assign, modules, x);
            count(assign, a)
                .cmp(&count(assign, b))
                .then(gap(b).total_cmp(&gap(a)))
                .then(a.cmp(&b))
        }) else {
            break;
        };
        let free = (0..modules.len()).find(|&m| {
            assign[m].is_none()
                && modules[m].healthy
                && modules[m].capacity_w > 0.0
                && allowed(m, c)
        });
        if let Some(m) = free {
            assign[m] = Some(c);
            continue;
        }
        let mine = count(assign, c);
        let donor = (0..modules.len())
            .filter(|&m| allowed(m, c) && modules[m].capacity_w > 0.0)
            .filter_map(|m| {
                assign[m]
                    .filter(|&d| d != c && count(assign, d) > mine + 1)
                    .map(|d| (count(assign, d), m))
            })
            .max();
        match donor {
            Some((_, m)) => assign[m] = Some(c),
            None => settled[c] = true,
        }
    }
}

/// The owner each module should have, given each connector's need in W.
pub fn allocate(
    needs_w: &[f64],
    modules: &[ModuleAvail],
    matrix: &[Vec<bool>],
) -> Vec<Option<usize>> {
    let allowed = |m: usize, c: usize| {
        matrix
            .get(m)
            .and_then(|r| r.get(c))
            .copied()
            .unwrap_or(false)
    };
    let need = |c: usize| {
        needs_w
            .get(c)
            .copied()
            .filter(|n| n.is_finite())
            .unwrap_or(0.0)
    };
    let mut assign: Vec<Option<usize>> = modules
        .iter()
        .enumerate()
        .map(|(m, a)| {
            a.owner
                .filter(|&c| a.healthy && allowed(m, c) && need(c) > 0.0)
        })
        .collect();
    // Trimming can free a module another connector lacks, and filling can leave a connector
    // over-served by a small early module: repeat until a pass changes nothing.
    for _ in 0..=modules.len() * 2 {
        let before = assign.clone();
        trim(&mut assign, modules, needs_w.len(), &need);
        fill(&mut assign, modules, needs_w.len(), &need, &allowed);
        trim(&mut assign, modules, needs_w.len(), &need);
        if assign == before {
            break;
        }
    }
    assign
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn healthy(n: usize) -> Vec<ModuleAvail> {
        vec![
            ModuleAvail {
                healthy: true,
                owner: None,
                capacity_w: 30_000.0
            };
            n
        ]
    }

    #[test]
    fn one_ev_gets_what_it_needs_and_the_rest_stays_free() {
        let a = allocate(&[100_000.0, 0.0], &healthy(8), &vec![vec![true, true]; 8]);
        assert_eq!(a.iter().filter(|x| **x == Some(0)).count(), 4);
        assert_eq!(a.iter().filter(|x| x.is_none()).count(), 4);
    }

    #[test]
    fn a_second_ev_takes_modules_from_a_greedy_first() {
        let mut mods = healthy(8);
        for m in &mut mods {
            m.owner = Some(0);
        }
        let a = allocate(&[500_000.0, 500_000.0], &mods, &vec![vec![true, true]; 8]);
        assert_eq!(a.iter().filter(|x| **x == Some(0)).count(), 4);
        assert_eq!(a.iter().filter(|x| **x == Some(1)).count(), 4);
    }

    #[test]
    fn faulted_modules_and_matrix_holes_are_respected() {
        let mut mods = healthy(4);
        mods[0].healthy = false;
        let matrix = vec![
            vec![true, true],
            vec![true, false],
            vec![false, true],
            vec![false, true],
        ];
        let a = allocate(&[500_000.0, 500_000.0], &mods, &matrix);
        assert_eq!(a, vec![None, Some(0), Some(1), Some(1)]);
    }

    fn arb_case() -> impl Strategy<Value = (Vec<f64>, Vec<ModuleAvail>, Vec<Vec<bool>>)> {
        (1usize..4, 1usize..10).prop_flat_map(|(nc, nm)| {
            let needs = prop::collection::vec(prop_oneof![Just(0.0), 0.0..300_000.0f64], nc);
            let module =
                (any::<bool>(), prop::option::of(0..nc), 0.0..40_000.0f64).prop_map(|(h, o, w)| {
                    ModuleAvail {
                        healthy: h || w > 5_000.0,
                        owner: o,
                        capacity_w: w,
                    }
                });
            let mods = prop::collection::vec(module, nm);
            let matrix =
                prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.8), nc), nm);
            (needs, mods, matrix)
        })
    }

    proptest! {
        #[test]
        fn allocation_is_legal_maximal_fair_and_stable((needs, mods, matrix) in arb_case()) {
            let a = allocate(&needs, &mods, &matrix);
            prop_assert_eq!(a.len(), mods.len());
            for (m, owner) in a.iter().enumerate() {
                if let Some(c) = *owner {
                    prop_assert!(mods[m].healthy && matrix[m][c] && needs[c] > 0.0, "illegal {m}->{c}");
                }
            }
            for c in 0..needs.len() {
                if capacity(&a, &mods, c) < needs[c] {
                    let idle = (0..mods.len()).any(|m| a[m].is_none() && mods[m].healthy && mods[m].capacity_w > 0.0 && matrix[m][c]);
                    prop_assert!(!idle, "connector {c} short while an allowed module idles");
                    for m in 0..mods.len() {
                        if let Some(d) = a[m] {
                            if d != c && matrix[m][c] && mods[m].capacity_w > 0.0 {
                                prop_assert!(count(&a, d) <= count(&a, c) + 1, "unfair: {d} holds {} vs {c} {}", count(&a, d), count(&a, c));
                            }
                        }
                    }
                }
            }
            let again: Vec<ModuleAvail> = mods.iter().zip(&a).map(|(m, o)| ModuleAvail { owner: *o, ..*m }).collect();
            prop_assert_eq!(allocate(&needs, &again, &matrix), a);
        }
    }
}
