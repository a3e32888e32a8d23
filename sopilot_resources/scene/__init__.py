"""Scene-state evidence: what each step leaves behind in the work area, gold vs trainee.

Clip embeddings tell *which* step is being done; these pictures tell whether its result looks
like the gold's. NumPy/OpenCV on the stills kept at ingest (:mod:`..stills`), and numba kernels
where one pass over the pixels beats NumPy's several (:mod:`.settle`, :mod:`.lasting_numba`).

- :mod:`.pictures` - decoded stills, lighting removed;
- :mod:`.settle` - the settled scene of a short window, without the performer;
- :mod:`.register` - trainee pictures mapped onto the gold's (ORB + RANSAC homography, ECC);
- :mod:`.regions` - per gold step, the region its result changes;
- :mod:`.outcome` - what both performances left behind, and their lasting differences;
- :mod:`.search` - where in the trainee's video a gold step's change was made (:mod:`.match`:
  every pair of its scenes compared at once);
- :mod:`.stations` - how long a moving camera stays at each step's station;
- :mod:`.evidence` - all of it for one pair, as the scoring engine reads it;
- :mod:`.compare` - makes it (:func:`scene_evidence`, what the engine calls), keeping what only
  the gold decides with the gold's stills.
"""
from .compare import scene_evidence
from .evidence import SceneEvidence
from .outcome import LastingDifference, Outcome

__all__ = ["LastingDifference", "Outcome", "SceneEvidence", "scene_evidence"]
