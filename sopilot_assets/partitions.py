"""Dynamic partitions, added by the inbox sensor.

``videos``: one per ingested video, key ``<task>/<role>/<file stem>-<sha256[:8]>``, e.g.
``assembly/trainee/run-03-1a2b3c4d``. ``pairs``: one per (trainee, gold it is scored against)
of the same task - only real pairs, never a cross product - key
``<task>/<trainee stem>-<hash8>/gold-v<n>`` (pairs made before keep their older
``...__vs__<gold stem>-<hash8>`` keys). Only ``[A-Za-z0-9._-]`` appear besides ``/`` (see
``sopilot_resources.storage.keys``). Pairs rescored in idle time are added by the heavy job.
"""
import dagster as dg

VIDEOS = "videos"
PAIRS = "pairs"

videos_partitions = dg.DynamicPartitionsDefinition(name=VIDEOS)
pairs_partitions = dg.DynamicPartitionsDefinition(name=PAIRS)
