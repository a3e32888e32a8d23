"""Alignment of two clip-embedding sequences: cosine cost, DTW (numba CPU / torch GPU), and
subsequence matching of a short query inside a long sequence. See docs/alignment.md."""
from .backend import align_embeddings, available_backends, dtw_path, resolve_backend
from .cost import cosine_cost, l2_normalize
from .subsequence import Match, matches_from_cost, subsequence_dp, subsequence_matches
from .types import Alignment
from .validate import AlignmentInputError

__all__ = [
    "Alignment",
    "AlignmentInputError",
    "Match",
    "align_embeddings",
    "available_backends",
    "cosine_cost",
    "dtw_path",
    "l2_normalize",
    "matches_from_cost",
    "resolve_backend",
    "subsequence_dp",
    "subsequence_matches",
]
