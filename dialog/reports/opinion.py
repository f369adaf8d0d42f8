"""Opinion groups in a dialogue's votes: who thinks alike, what sets each group apart,
what they share and where people are unsure.

A pure function of the votes (no database), so that the method can be checked on
synthetic conversations with planted groups and on real Polis exports.
`docs/opinion-groups.md` gives the method and the reasons for each choice.

Votes come as three parallel arrays (participant index, proposal index, value), with
agree = 1, disagree = -1 and pass = 0; a cell nobody voted is absent. The caller has
already left out hidden proposals and kept only each participant's latest vote.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln, logsumexp
from sklearn.cluster import KMeans
from sklearn.utils.extmath import randomized_svd

METHOD = "latent-class mixture of agree/disagree votes, exact ICL"

AGREE, DISAGREE, PASS = 1, -1, 0
# Polis's rule: a participant is placed once they have voted on seven proposals, or on
# all of them when there are fewer.
VOTE_THRESHOLD = 7
# Privacy: a group this small could single people out.
MIN_GROUP_SIZE = 5
MAX_GROUPS = 6
# A larger number of groups must be better by a Bayes factor of e^5 (about 150): what
# Kass and Raftery call very strong evidence. Below it, the smaller, plainer answer
# stands: a split that is only somewhat better tends to be a different split on every
# start, which a report should not present as a finding.
STRONG_EVIDENCE = 5.0
# Jeffreys' prior on every probability in the integrated likelihood.
ICL_PRIOR = 0.5
# Added to every count when the model is fitted, as Polis does, so a probability is never
# exactly 0 or 1 on the strength of a handful of votes.
SMOOTHING = 1.0
STARTS = 4
MAX_ITERATIONS = 200
TOLERANCE = 1e-6
EMBEDDING_DIMENSIONS = 10
# Groups are chosen on at most this many participants, drawn with a fixed seed.
SELECTION_SAMPLE = 5_000
SEED = 0
# One-sided 90 % confidence, as in Polis's representativeness test.
Z_90 = 1.2816
REPRESENTATIVE_PER_GROUP = 5
# A proposal is shared when every group agrees with it by at least this smoothed share.
CONSENSUS_SHARE = 0.6
CONSENSUS_LISTED = 10
# Consensus scores kept, highest first (with the count of all that were scored): the
# shared ground is drawn from the top of the list, and a score for each of 100,000
# proposals would be most of a report's size and say little a reader could use.
CONSENSUS_SCORED = 50
UNCERTAIN_PASS_SHARE = 0.3
# A proposal is named as uncertain or as shared ground only with at least this many
# votes (as a ranking of the proposals needs, compiling.PARAMETERS["ranked_min_votes"]):
# one pass of two votes is not uncertainty, nor one agree of one consensus, but chance.
NAMED_MIN_VOTES = 5
# Uncertain proposals listed, with the count of all of them.
UNCERTAIN_LISTED = 20


@dataclass(frozen=True)
class MapPoint:
    participant: str
    x: float
    y: float
    group: int


@dataclass(frozen=True)
class RepresentativeProposal:
    """Polis's representativeness of one proposal for one group.

    Shares are smoothed: (count + 1) / (votes + 2). The z values compare the group with
    everyone grouped outside it (two-proportion test) and the group with an even split
    (one-proportion test); the proposal is representative when both pass at 90 %.
    """

    proposal: str
    direction: str  # "agree" or "disagree"
    votes_in: int
    votes_out: int
    agree_in: float
    disagree_in: float
    agree_out: float
    disagree_out: float
    z_agree: float
    z_disagree: float
    z_agree_in_group: float
    z_disagree_in_group: float


@dataclass(frozen=True)
class Group:
    id: int
    size: int
    members: tuple[str, ...]
    representative: tuple[RepresentativeProposal, ...]


@dataclass(frozen=True)
class ConsensusScore:
    proposal: str
    score: float


@dataclass(frozen=True)
class UncertainProposal:
    proposal: str
    votes: int
    passes: int
    pass_share: float


@dataclass(frozen=True)
class OpinionAnalysis:
    method: str
    parameters: dict[str, float | int | str]
    participants: int
    below_threshold: int
    # Why the groups are what they are: "groups", "one group: no division found",
    # "one group: too few participants for two" or "too few participants".
    grouping: str
    map: tuple[MapPoint, ...]
    groups: tuple[Group, ...]
    # The CONSENSUS_SCORED highest scores; consensus_total: how many proposals were scored.
    consensus: tuple[ConsensusScore, ...]
    consensus_total: int
    # At most CONSENSUS_LISTED; consensus_proposals_total: how many are shared ground.
    consensus_proposals: tuple[str, ...]
    consensus_proposals_total: int
    # At most UNCERTAIN_LISTED; uncertain_total: how many proposals are uncertain.
    uncertain: tuple[UncertainProposal, ...]
    uncertain_total: int

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def parameters() -> dict[str, float | int | str]:
    return {
        "vote_threshold": VOTE_THRESHOLD,
        "min_group_size": MIN_GROUP_SIZE,
        "max_groups": MAX_GROUPS,
        "strong_evidence_log_bayes_factor": STRONG_EVIDENCE,
        "icl_prior": ICL_PRIOR,
        "smoothing": SMOOTHING,
        "starts": STARTS,
        "max_iterations": MAX_ITERATIONS,
        "tolerance": TOLERANCE,
        "embedding_dimensions": EMBEDDING_DIMENSIONS,
        "selection_sample": SELECTION_SAMPLE,
        "seed": SEED,
        "representative_z": Z_90,
        "representative_per_group": REPRESENTATIVE_PER_GROUP,
        "consensus_share": CONSENSUS_SHARE,
        "consensus_listed": CONSENSUS_LISTED,
        "consensus_scored": CONSENSUS_SCORED,
        "uncertain_pass_share": UNCERTAIN_PASS_SHARE,
        "named_min_votes": NAMED_MIN_VOTES,
        "uncertain_listed": UNCERTAIN_LISTED,
    }


def analyse(
    participants: Sequence[str],
    proposals: Sequence[str],
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
) -> OpinionAnalysis:
    rows, cols, values = (np.asarray(a, dtype=np.int64) for a in (rows, cols, values))
    n, m = len(participants), len(proposals)
    threshold = min(VOTE_THRESHOLD, m)
    voted = np.bincount(rows, minlength=n)
    eligible = np.flatnonzero((voted >= threshold) & (voted > 0))
    votes = _eligible_votes(eligible, n, rows, cols, values)
    labels, grouping = _groups(votes, m)
    coordinates = _opinion_map(votes, m)
    counts = _group_counts(labels, votes, m)
    consensus, consensus_total = _consensus(proposals, counts)
    shared, shared_total = _consensus_proposals(proposals, counts)
    uncertain, uncertain_total = _uncertain(proposals, cols, values, m)
    return OpinionAnalysis(
        method=METHOD,
        parameters=parameters(),
        participants=n,
        below_threshold=n - len(eligible),
        grouping=grouping,
        map=tuple(
            MapPoint(participants[eligible[i]], float(x), float(y), int(labels[i]) + 1)
            for i, (x, y) in enumerate(coordinates)
            if labels[i] >= 0
        ),
        groups=_reported_groups(participants, proposals, eligible, labels, counts),
        consensus=consensus,
        consensus_total=consensus_total,
        consensus_proposals=shared,
        consensus_proposals_total=shared_total,
        uncertain=uncertain,
        uncertain_total=uncertain_total,
    )


@dataclass(frozen=True)
class _Votes:
    """The eligible participants' votes, renumbered 0..n-1."""

    n: int
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


def _eligible_votes(eligible, n, rows, cols, values) -> _Votes:
    position = np.full(n, -1)
    position[eligible] = np.arange(len(eligible))
    keep = position[rows] >= 0
    return _Votes(len(eligible), position[rows[keep]], cols[keep], values[keep])


# The opinion map (Polis's PCA)


def _opinion_map(votes: _Votes, m: int) -> np.ndarray:
    return _embedding(votes, m)[:, :2]


def _embedding(votes: _Votes, m: int) -> np.ndarray:
    """PCA of the column-centred matrix, a missing cell counting as the column mean.

    Centred, a missing cell is zero, so the matrix stays sparse. Each participant's
    coordinates are scaled by sqrt(proposals / own votes), as Polis does, so that those
    who voted on few proposals are not all drawn to the middle.
    """
    dimensions = min(EMBEDDING_DIMENSIONS, votes.n - 1, m - 1)
    embedding = np.zeros((votes.n, max(dimensions, 2)))
    centred = _centred_matrix(votes, m)
    if dimensions < 1 or centred.count_nonzero() == 0:
        return embedding
    u, s, _ = randomized_svd(centred, dimensions, n_iter=7, random_state=SEED)
    scale = np.sqrt(m / np.bincount(votes.rows, minlength=votes.n))
    embedding[:, :dimensions] = u * s * scale[:, None]
    return embedding


def _centred_matrix(votes: _Votes, m: int) -> sp.csr_matrix:
    counts = np.bincount(votes.cols, minlength=m)
    sums = np.bincount(votes.cols, weights=votes.values, minlength=m)
    means = np.divide(sums, counts, out=np.zeros(m), where=counts > 0)
    return sp.csr_matrix(
        (votes.values - means[votes.cols], (votes.rows, votes.cols)), shape=(votes.n, m)
    )


# Finding the groups


def _groups(votes: _Votes, m: int) -> tuple[np.ndarray, str]:
    """A group label per eligible participant (-1: none) and how the answer came about."""
    if votes.n < MIN_GROUP_SIZE:
        return np.full(votes.n, -1), "too few participants"
    if votes.n < 2 * MIN_GROUP_SIZE:
        return np.zeros(votes.n, dtype=np.int64), "one group: too few participants for two"
    sides = _side_matrix(votes, m)
    sample = _selection_sample(votes.n)
    k, labels = _chosen_partition(sides[sample], _embedding(_subset(votes, sample), m))
    if k == 1:
        labels = np.zeros(votes.n, dtype=np.int64)
    elif len(sample) < votes.n:
        labels = _extended(sides, sides[sample], labels, k)
    labels = _numbered(labels)
    return labels, "groups" if labels.max() > 0 else "one group: no division found"


def _side_matrix(votes: _Votes, m: int) -> sp.csr_matrix:
    """One-hot of the side taken: column 2j is agree with proposal j, 2j + 1 disagree.

    Passes are left out of the group model (they still count towards the threshold, the
    map and the list of uncertain proposals): groups are told apart by what people
    think, not by how often they pass.
    """
    took_side = votes.values != PASS
    rows = votes.rows[took_side]
    columns = 2 * votes.cols[took_side] + (votes.values[took_side] == DISAGREE)
    return sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(votes.n, 2 * m))


def _selection_sample(n: int) -> np.ndarray:
    if n <= SELECTION_SAMPLE:
        return np.arange(n)
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(n, size=SELECTION_SAMPLE, replace=False))


def _subset(votes: _Votes, sample: np.ndarray) -> _Votes:
    return _eligible_votes(sample, votes.n, votes.rows, votes.cols, votes.values)


def _chosen_partition(sides: sp.csr_matrix, embedding: np.ndarray) -> tuple[int, np.ndarray]:
    """Forward from one group: k + 1 groups replace k only when every group is large
    enough to report and the exact ICL is strongly better; the first k + 1 that fails
    ends the search."""
    n = sides.shape[0]
    k, labels = 1, np.zeros(n, dtype=np.int64)
    best = _icl(sides, labels, 1)
    # k-means cannot seed more groups than there are distinct points; identical voters
    # differ only by rounding error.
    distinct = len(np.unique(embedding.round(6), axis=0))
    for candidate in range(2, min(MAX_GROUPS, n // MIN_GROUP_SIZE, distinct) + 1):
        candidate_labels = _best_start(sides, candidate, embedding)
        if candidate_labels is None:
            break
        score = _icl(sides, candidate_labels, candidate)
        if score - best <= STRONG_EVIDENCE:
            break
        k, labels, best = candidate, candidate_labels, score
    return k, labels


def _best_start(sides: sp.csr_matrix, k: int, embedding: np.ndarray) -> np.ndarray | None:
    """The fitted partition with the best ICL over the starts whose groups are all large
    enough to report, or None when no start gives one."""
    best, best_score = None, -np.inf
    for start in range(STARTS):
        seeds = KMeans(k, n_init=1, random_state=SEED + start).fit_predict(embedding)
        labels = _fit(sides, np.eye(k)[seeds]).argmax(axis=1)
        if np.bincount(labels, minlength=k).min() < MIN_GROUP_SIZE:
            continue
        score = _icl(sides, labels, k)
        if score > best_score:
            best, best_score = labels, score
    return best


def _extended(sides: sp.csr_matrix, sample_sides, sample_labels, k: int) -> np.ndarray:
    """Everyone's groups, fitted from the model the sample gave. A group that falls
    below the reportable size on everyone is dissolved and its members re-assigned."""
    log_theta, log_weights = _maximisation(sample_sides.T.tocsr(), np.eye(k)[sample_labels])
    joint = sides @ log_theta + log_weights
    responsibilities = _fit(sides, np.exp(joint - logsumexp(joint, axis=1, keepdims=True)))
    while True:
        labels = responsibilities.argmax(axis=1)
        sizes = np.bincount(labels, minlength=responsibilities.shape[1])
        kept = sizes >= MIN_GROUP_SIZE
        if kept.all():
            return labels
        labels = responsibilities[:, kept].argmax(axis=1)
        responsibilities = _fit(sides, np.eye(int(kept.sum()))[labels])


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Groups numbered by size, largest first, ties by their first member."""
    groups, first, sizes = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -sizes))
    rank = np.empty(int(groups.max()) + 1, dtype=np.int64)
    rank[groups[order]] = np.arange(len(groups))
    return rank[labels]


def _fit(sides: sp.csr_matrix, responsibilities: np.ndarray) -> np.ndarray:
    """EM for a mixture of per-proposal agree/disagree probabilities.

    A proposal a participant did not vote on is simply absent from their likelihood
    (missing at random). Every step is a product of the sparse vote matrix with a
    dense participants-by-k or proposals-by-k matrix.
    """
    transposed = sides.T.tocsr()
    previous = -np.inf
    for _ in range(MAX_ITERATIONS):
        log_theta, log_weights = _maximisation(transposed, responsibilities)
        joint = sides @ log_theta + log_weights
        likelihood = logsumexp(joint, axis=1, keepdims=True)
        responsibilities = np.exp(joint - likelihood)
        total = float(likelihood.sum())
        if total - previous <= TOLERANCE * abs(total):
            break
        previous = total
    return responsibilities


def _maximisation(transposed: sp.csr_matrix, responsibilities: np.ndarray):
    k = responsibilities.shape[1]
    counts = np.asarray(transposed @ responsibilities).reshape(-1, 2, k)
    theta = (counts + SMOOTHING) / (counts.sum(axis=1, keepdims=True) + 2 * SMOOTHING)
    weights = (responsibilities.sum(axis=0) + SMOOTHING) / (len(responsibilities) + k * SMOOTHING)
    return np.log(theta).reshape(-1, k), np.log(weights)


def _icl(sides: sp.csr_matrix, labels: np.ndarray, k: int) -> float:
    """The exact integrated complete-data likelihood of a partition (Biernacki, Celeux
    and Govaert, 2000): with Dirichlet priors, the probabilities integrate out in closed
    form. A proposal a group never voted on contributes nothing, so sparse voting is not
    mistaken for parameters the data had to pay for, as BIC's count would."""
    a = ICL_PRIOR
    sizes = np.bincount(labels, minlength=k)
    membership = _membership(labels, k)
    counts = (membership @ sides).toarray().reshape(k, -1, 2)
    return float(
        gammaln(k * a)
        - k * gammaln(a)
        + gammaln(sizes + a).sum()
        - gammaln(len(labels) + k * a)
        + (gammaln(2 * a) - gammaln(counts.sum(axis=2) + 2 * a)).sum()
        + (gammaln(counts + a) - gammaln(a)).sum()
    )


def _membership(labels: np.ndarray, k: int) -> sp.csr_matrix:
    n = len(labels)
    return sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))


# What the groups say


@dataclass(frozen=True)
class _Counts:
    """Per group (rows) and proposal (columns): agrees, disagrees and votes seen."""

    agree: np.ndarray
    disagree: np.ndarray
    seen: np.ndarray


def _group_counts(labels: np.ndarray, votes: _Votes, m: int) -> _Counts:
    grouped = labels[votes.rows] >= 0
    group, col, value = labels[votes.rows][grouped], votes.cols[grouped], votes.values[grouped]
    k = int(labels.max()) + 1 if grouped.any() else 0

    def tally(mask):
        return np.bincount(group[mask] * m + col[mask], minlength=k * m).reshape(k, m)

    return _Counts(
        tally(value == AGREE), tally(value == DISAGREE), tally(np.ones(len(group), bool))
    )


def _reported_groups(
    participants, proposals, eligible, labels, counts: _Counts
) -> tuple[Group, ...]:
    k = counts.seen.shape[0]
    # A lone group has nobody outside it to be compared with.
    return tuple(
        Group(
            id=g + 1,
            size=int((labels == g).sum()),
            members=tuple(participants[i] for i in eligible[labels == g]),
            representative=_representative(proposals, counts, g) if k > 1 else (),
        )
        for g in range(k)
    )


def _representative(proposals, counts: _Counts, g: int) -> tuple[RepresentativeProposal, ...]:
    """Polis's repness: what this group agrees (or disagrees) with more than the rest."""
    seen_in, seen_out = counts.seen[g], counts.seen.sum(axis=0) - counts.seen[g]
    agree_in, agree_out = counts.agree[g], counts.agree.sum(axis=0) - counts.agree[g]
    disagree_in, disagree_out = counts.disagree[g], counts.disagree.sum(axis=0) - counts.disagree[g]
    z_agree = two_proportion_z(agree_in, agree_out, seen_in, seen_out)
    z_disagree = two_proportion_z(disagree_in, disagree_out, seen_in, seen_out)
    z_agree_in, z_disagree_in = proportion_z(agree_in, seen_in), proportion_z(disagree_in, seen_in)
    share = {
        "agree_in": smoothed_share(agree_in, seen_in),
        "disagree_in": smoothed_share(disagree_in, seen_in),
        "agree_out": smoothed_share(agree_out, seen_out),
        "disagree_out": smoothed_share(disagree_out, seen_out),
    }
    for_agree = z_agree > z_disagree
    metric = np.where(
        for_agree,
        share["agree_in"] / share["agree_out"] * z_agree * share["agree_in"] * z_agree_in,
        share["disagree_in"]
        / share["disagree_out"]
        * z_disagree
        * share["disagree_in"]
        * z_disagree_in,
    )
    passes = ((z_agree > Z_90) & (z_agree_in > Z_90)) | (
        (z_disagree > Z_90) & (z_disagree_in > Z_90)
    )
    candidates = np.flatnonzero(passes)
    chosen = candidates[np.lexsort((candidates, -metric[candidates]))][:REPRESENTATIVE_PER_GROUP]
    # Polis shows what a group agrees with before what it rejects.
    chosen = sorted(chosen, key=lambda j: not for_agree[j])
    return tuple(
        RepresentativeProposal(
            proposal=proposals[j],
            direction="agree" if for_agree[j] else "disagree",
            votes_in=int(seen_in[j]),
            votes_out=int(seen_out[j]),
            **{name: float(values[j]) for name, values in share.items()},
            z_agree=float(z_agree[j]),
            z_disagree=float(z_disagree[j]),
            z_agree_in_group=float(z_agree_in[j]),
            z_disagree_in_group=float(z_disagree_in[j]),
        )
        for j in chosen
    )


def smoothed_share(successes, trials):
    return (np.asarray(successes) + 1.0) / (np.asarray(trials) + 2.0)


def proportion_z(successes, trials):
    """Polis's one-proportion test against an even split, with one added to each count."""
    successes, trials = np.asarray(successes) + 1.0, np.asarray(trials) + 1.0
    return 2.0 * np.sqrt(trials) * (successes / trials - 0.5)


def two_proportion_z(successes_in, successes_out, trials_in, trials_out):
    """Polis's two-proportion z-test, with one added to each of the four counts."""
    s_in, s_out, t_in, t_out = (
        np.asarray(a, dtype=float) + 1.0
        for a in (successes_in, successes_out, trials_in, trials_out)
    )
    pooled = (s_in + s_out) / (t_in + t_out)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / t_in + 1.0 / t_out))
    # Everyone on both sides agreeing gives no difference to test (Polis answers 0 too).
    return np.divide(
        s_in / t_in - s_out / t_out, spread, out=np.zeros_like(spread), where=spread > 0
    )


def _consensus(proposals, counts: _Counts) -> tuple[tuple[ConsensusScore, ...], int]:
    """Polis's group-aware consensus: the product over groups of each group's smoothed
    agree share, high only when every group agrees. The CONSENSUS_SCORED highest, ties
    in the proposals' order, and how many proposals were scored."""
    if counts.seen.shape[0] == 0:
        return (), 0
    score = smoothed_share(counts.agree, counts.seen).prod(axis=0)
    order = np.lexsort((np.arange(len(score)), -score))[:CONSENSUS_SCORED]
    return tuple(ConsensusScore(proposals[j], float(score[j])) for j in order), len(score)


def _consensus_proposals(proposals, counts: _Counts) -> tuple[tuple[str, ...], int]:
    """The shared ground: proposals with at least NAMED_MIN_VOTES votes of grouped
    participants that every group agrees with by at least CONSENSUS_SHARE, best first, at
    most CONSENSUS_LISTED; and how many there are."""
    if counts.seen.shape[0] == 0:
        return (), 0
    shares = smoothed_share(counts.agree, counts.seen)
    score = shares.prod(axis=0)
    enough = counts.seen.sum(axis=0) >= NAMED_MIN_VOTES
    shared = np.flatnonzero((shares >= CONSENSUS_SHARE).all(axis=0) & enough)
    ordered = shared[np.lexsort((shared, -score[shared]))]
    return tuple(proposals[j] for j in ordered[:CONSENSUS_LISTED]), len(shared)


def _uncertain(proposals, cols, values, m) -> tuple[tuple[UncertainProposal, ...], int]:
    """Areas of uncertainty: proposals with at least NAMED_MIN_VOTES votes more than
    30 % of whose voters passed. The UNCERTAIN_LISTED best attested, highest pass share
    first, then most votes (the surer share of two equal ones), then the proposals'
    order; and how many there are."""
    votes = np.bincount(cols, minlength=m)
    passes = np.bincount(cols[values == PASS], minlength=m)
    share = np.divide(passes, votes, out=np.zeros(m), where=votes > 0)
    uncertain = np.flatnonzero((share > UNCERTAIN_PASS_SHARE) & (votes >= NAMED_MIN_VOTES))
    ordered = uncertain[np.lexsort((uncertain, -votes[uncertain], -share[uncertain]))]
    listed = tuple(
        UncertainProposal(proposals[j], int(votes[j]), int(passes[j]), float(share[j]))
        for j in ordered[:UNCERTAIN_LISTED]
    )
    return listed, len(uncertain)
