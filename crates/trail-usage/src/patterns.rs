//! User patterns (seed 003, "Understand your users better"): people clustered
//! by what they do, each cluster's defining event types, and how the clusters
//! line up with the organisation's groups.
//!
//! A person is the vector of the square roots of their event-type shares (the
//! Hellinger embedding: frequent types do not drown rare ones). k-means++
//! (Lloyd's iterations, fixed seed, so both stores give the same clusters)
//! runs for k = 2..=8 and the k with the best mean silhouette wins.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trail_core::rollup::Dims;
use trail_core::usage::{Cluster, Contingency, Patterns, TypeWeight};
use uuid::Uuid;

use crate::source::Groups;
use crate::{on_two_threads, Scope, Usage, UsageResult, Window};

const MAX_K: usize = 8;
const ITERATIONS: usize = 60;
/// The silhouette is computed on at most this many people (it is quadratic).
const SILHOUETTE_SAMPLE: usize = 400;
const DEFINING: usize = 5;
const NO_GROUP: &str = "(no group)";

impl Usage<'_> {
    pub async fn patterns(
        &self,
        w: &Window,
        scope: &Scope,
        min_events: i64,
        me: Option<Uuid>,
    ) -> UsageResult<Patterns> {
        let cells = self.cells(w, Dims::TYPE, false, scope).await?;
        let rows = self.people(&cells, scope);
        // Per type, each person's events: dense by person number, as 90
        // days hold millions of rows; then per person.
        let mut groups = Groups::default();
        let mut per_type: Vec<Vec<i64>> = Vec::new();
        for c in rows.cells() {
            let counts = groups.entry(c.cell, |c| c.type_id, &mut per_type);
            for (n, t) in c.people() {
                counts.resize(counts.len().max(n as usize + 1), 0);
                counts[n as usize] += t.events;
            }
        }
        let mut per: BTreeMap<Uuid, BTreeMap<i64, i64>> = BTreeMap::new();
        for (type_id, counts) in groups.into_keys().zip(&per_type) {
            for (n, events) in counts.iter().enumerate().filter(|(_, e)| **e != 0) {
                per.entry(self.numbers[n])
                    .or_default()
                    .insert(type_id, *events);
            }
        }
        per.retain(|_, types| types.values().sum::<i64>() >= min_events);
        let types: Vec<i64> = per
            .values()
            .flat_map(|t| t.keys().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let people: Vec<Uuid> = per.keys().copied().collect();
        let points: Vec<Vec<f64>> = per.values().map(|t| embed(t, &types)).collect();
        let (labels, k, silhouette) = best_clustering(&points);
        let clusters = self.describe(&people, &labels, k, &per);
        let by_group = self.contingency(&people, &labels, k).await?;
        Ok(Patterns {
            span: w.span(),
            min_events,
            k,
            silhouette,
            yours: me.and_then(|me| people.iter().position(|p| *p == me).map(|i| labels[i])),
            clusters,
            by_group,
        })
    }

    fn describe(
        &self,
        people: &[Uuid],
        labels: &[usize],
        k: usize,
        per: &BTreeMap<Uuid, BTreeMap<i64, i64>>,
    ) -> Vec<Cluster> {
        let mut everyone: HashMap<i64, i64> = HashMap::new();
        for t in per.values() {
            for (ty, n) in t {
                *everyone.entry(*ty).or_default() += n;
            }
        }
        let all_total: i64 = everyone.values().sum();
        (0..k)
            .map(|c| {
                let members: Vec<Uuid> = people
                    .iter()
                    .zip(labels)
                    .filter(|(_, l)| **l == c)
                    .map(|(p, _)| *p)
                    .collect();
                let mut counts: HashMap<i64, i64> = HashMap::new();
                for m in &members {
                    for (ty, n) in &per[m] {
                        *counts.entry(*ty).or_default() += n;
                    }
                }
                let total: i64 = counts.values().sum();
                let mut defining: Vec<TypeWeight> = counts
                    .iter()
                    .map(|(ty, n)| {
                        let share = *n as f64 / total.max(1) as f64;
                        let overall = everyone[ty] as f64 / all_total.max(1) as f64;
                        TypeWeight {
                            event_type: self.type_name(*ty),
                            share,
                            lift: share / overall,
                        }
                    })
                    .filter(|t| t.share >= 0.02)
                    .collect();
                defining.sort_by(|a, b| {
                    b.lift
                        .total_cmp(&a.lift)
                        .then(a.event_type.cmp(&b.event_type))
                });
                defining.truncate(DEFINING);
                Cluster {
                    id: c,
                    users: self.people_of(members),
                    defining,
                }
            })
            .collect()
    }

    /// People per (group, cluster): each person counts in each group they are a
    /// direct member of.
    async fn contingency(
        &self,
        people: &[Uuid],
        labels: &[usize],
        k: usize,
    ) -> UsageResult<Contingency> {
        let groups = self.store.list_groups(self.account).await?;
        let mut of_person: HashMap<Uuid, Vec<String>> = HashMap::new();
        for g in &groups {
            for m in &g.members {
                of_person.entry(*m).or_default().push(g.group.name.clone());
            }
        }
        let mut table: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (p, label) in people.iter().zip(labels) {
            let names = of_person
                .get(p)
                .cloned()
                .unwrap_or_else(|| vec![NO_GROUP.to_string()]);
            for name in names {
                table.entry(name).or_insert_with(|| vec![0; k])[*label] += 1;
            }
        }
        let (groups, counts): (Vec<String>, Vec<Vec<i64>>) = table.into_iter().unzip();
        Ok(association(groups, counts))
    }
}

/// Square roots of the person's shares of each type.
fn embed(types: &BTreeMap<i64, i64>, all: &[i64]) -> Vec<f64> {
    let total = types.values().sum::<i64>().max(1) as f64;
    all.iter()
        .map(|t| (types.get(t).copied().unwrap_or(0) as f64 / total).sqrt())
        .collect()
}

/// Labels, k and mean silhouette of the best k-means clustering for k in 2..=8;
/// everyone in one cluster when there are too few people to split.
fn best_clustering(points: &[Vec<f64>]) -> (Vec<usize>, usize, f64) {
    let sample = Sample::of(points);
    let run = |k: usize| {
        let labels = kmeans(points, k);
        let s = sample.silhouette(&labels, k);
        (labels, k, s)
    };
    // The runs are the view's time, and independent; in k order, so the
    // smallest k wins a tie.
    let ks: Vec<usize> = (2..=MAX_K.min(points.len().saturating_sub(1))).collect();
    let runs = on_two_threads(ks, run);
    let mut best = (vec![0; points.len()], 1, 0.0);
    for r in runs {
        if r.2 > best.2 {
            best = r;
        }
    }
    best
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The first of the nearest centres.
fn nearest(p: &[f64], centres: &[Vec<f64>]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.iter().enumerate() {
        let d = distance2(p, centre);
        if d.total_cmp(&best.1).is_lt() {
            best = (c, d);
        }
    }
    best.0
}

/// k-means++ seeding, then Lloyd's iterations until nothing moves.
pub(crate) fn kmeans(points: &[Vec<f64>], k: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut centres = vec![points[rng.gen_range(0..points.len())].clone()];
    while centres.len() < k {
        let d: Vec<f64> = points
            .iter()
            .map(|p| distance2(p, &centres[nearest(p, &centres)]))
            .collect();
        let total: f64 = d.iter().sum();
        if total == 0.0 {
            break;
        }
        let mut x = rng.gen::<f64>() * total;
        let pick = d.iter().position(|v| {
            x -= v;
            x <= 0.0
        });
        centres.push(points[pick.unwrap_or(points.len() - 1)].clone());
    }
    let mut labels: Vec<usize> = points.iter().map(|p| nearest(p, &centres)).collect();
    for _ in 0..ITERATIONS {
        // Each centre the mean of its members, added up in one pass in the
        // points' order; a centre with no members stays where it is.
        let mut sums = vec![(vec![0.0; centres[0].len()], 0usize); centres.len()];
        for (p, l) in points.iter().zip(&labels) {
            let (sum, n) = &mut sums[*l];
            sum.iter_mut().zip(p).for_each(|(s, v)| *s += v);
            *n += 1;
        }
        for (centre, (sum, n)) in centres.iter_mut().zip(sums) {
            if n > 0 {
                *centre = sum.into_iter().map(|s| s / n as f64).collect();
            }
        }
        let next: Vec<usize> = points.iter().map(|p| nearest(p, &centres)).collect();
        if next == labels {
            break;
        }
        labels = next;
    }
    labels
}

/// An evenly spread sample of the points and the distances between them:
/// the silhouette is quadratic, and the same distances serve every k.
pub(crate) struct Sample {
    members: Vec<usize>,
    /// Row-major, `members.len()` squared.
    distances: Vec<f64>,
}

impl Sample {
    pub fn of(points: &[Vec<f64>]) -> Sample {
        let step = points.len().div_ceil(SILHOUETTE_SAMPLE).max(1);
        let members: Vec<usize> = (0..points.len()).step_by(step).collect();
        let n = members.len();
        let mut distances = vec![0.0; n * n];
        for (a, i) in members.iter().enumerate() {
            for (b, j) in members.iter().enumerate().skip(a + 1) {
                let d = distance2(&points[*i], &points[*j]).sqrt();
                (distances[a * n + b], distances[b * n + a]) = (d, d);
            }
        }
        Sample { members, distances }
    }

    /// Mean silhouette of the sample under `labels` (of all the points).
    pub fn silhouette(&self, labels: &[usize], k: usize) -> f64 {
        let n = self.members.len();
        let mut sum = 0.0;
        for (a, i) in self.members.iter().enumerate() {
            let mut dist = vec![(0.0, 0usize); k];
            for (b, j) in self.members.iter().enumerate() {
                if a != b {
                    let e = &mut dist[labels[*j]];
                    e.0 += self.distances[a * n + b];
                    e.1 += 1;
                }
            }
            let own = dist[labels[*i]];
            if own.1 == 0 {
                continue;
            }
            let a = own.0 / own.1 as f64;
            let b = (0..k)
                .filter(|c| *c != labels[*i] && dist[*c].1 > 0)
                .map(|c| dist[c].0 / dist[c].1 as f64)
                .fold(f64::INFINITY, f64::min);
            if b.is_finite() && a.max(b) > 0.0 {
                sum += (b - a) / a.max(b);
            }
        }
        sum / n.max(1) as f64
    }
}

/// Pearson's chi-square of the table and Cramér's V.
pub(crate) fn association(groups: Vec<String>, counts: Vec<Vec<i64>>) -> Contingency {
    let rows: Vec<f64> = counts
        .iter()
        .map(|r| r.iter().sum::<i64>() as f64)
        .collect();
    let k = counts.first().map_or(0, Vec::len);
    let cols: Vec<f64> = (0..k)
        .map(|c| counts.iter().map(|r| r[c]).sum::<i64>() as f64)
        .collect();
    let n: f64 = rows.iter().sum();
    let mut chi = 0.0;
    for (r, row) in counts.iter().enumerate() {
        for (c, observed) in row.iter().enumerate() {
            let expected = rows[r] * cols[c] / n;
            if expected > 0.0 {
                chi += (*observed as f64 - expected).powi(2) / expected;
            }
        }
    }
    let (r_used, c_used) = (
        rows.iter().filter(|v| **v > 0.0).count(),
        cols.iter().filter(|v| **v > 0.0).count(),
    );
    let smaller = r_used.min(c_used);
    let cramers_v = if smaller > 1 && n > 0.0 {
        (chi / (n * (smaller - 1) as f64)).sqrt()
    } else {
        0.0
    };
    Contingency {
        groups,
        counts,
        chi_square: chi,
        degrees_of_freedom: (r_used.saturating_sub(1) * c_used.saturating_sub(1)) as i64,
        cramers_v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_finds_separated_groups_and_the_silhouette_picks_their_number() {
        let mut points = Vec::new();
        for i in 0..30 {
            let jitter = (i % 5) as f64 * 0.01;
            points.push(vec![1.0 + jitter, 0.0, 0.0]);
            points.push(vec![0.0, 1.0 + jitter, 0.0]);
            points.push(vec![0.0, 0.0, 1.0 + jitter]);
        }
        let (labels, k, s) = best_clustering(&points);
        assert_eq!(k, 3);
        assert!(s > 0.9, "silhouette {s}");
        for i in (0..points.len()).step_by(3) {
            assert_eq!(labels[i], labels[0]);
            assert_ne!(labels[i + 1], labels[i]);
        }
    }

    /// The silhouette from distances computed once equals the one computed
    /// afresh for each k, bit for bit.
    #[test]
    fn the_sample_silhouette_is_the_direct_one() {
        let mut rng = StdRng::seed_from_u64(3);
        let points: Vec<Vec<f64>> = (0..1_000)
            .map(|_| (0..12).map(|_| rng.gen::<f64>()).collect())
            .collect();
        let sample = Sample::of(&points);
        assert_eq!(sample.members.len(), 334);
        for k in 2..=5 {
            let labels = kmeans(&points, k);
            let mut sum = 0.0;
            for &i in &sample.members {
                let mut dist = vec![(0.0, 0usize); k];
                for &j in sample.members.iter().filter(|j| **j != i) {
                    let e = &mut dist[labels[j]];
                    e.0 += distance2(&points[i], &points[j]).sqrt();
                    e.1 += 1;
                }
                let a = dist[labels[i]].0 / dist[labels[i]].1 as f64;
                let b = (0..k)
                    .filter(|c| *c != labels[i])
                    .map(|c| dist[c].0 / dist[c].1 as f64)
                    .fold(f64::INFINITY, f64::min);
                sum += (b - a) / a.max(b);
            }
            let direct = sum / sample.members.len() as f64;
            assert_eq!(sample.silhouette(&labels, k), direct, "k = {k}");
        }
    }

    #[test]
    fn cramers_v_is_one_when_the_group_decides_the_cluster_and_zero_when_independent() {
        let perfect = association(vec!["a".into(), "b".into()], vec![vec![10, 0], vec![0, 10]]);
        assert!((perfect.cramers_v - 1.0).abs() < 1e-9);
        assert_eq!(perfect.degrees_of_freedom, 1);
        let none = association(vec!["a".into(), "b".into()], vec![vec![5, 5], vec![5, 5]]);
        assert!(none.cramers_v.abs() < 1e-9);
    }
}
