"""Imported by the workers' forkserver: it exits when the process that started it is gone (see `lifeline`).

Its workers then die too: each arms a parent-death signal as it starts (`lifeline.die_with_parent`).
"""

from __future__ import annotations

from flows.runtime.lifeline import watch_parent

watch_parent()
