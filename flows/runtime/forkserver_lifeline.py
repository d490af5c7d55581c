"""Imported first by the workers' forkserver: it lives and dies with the run that started it, not with a
terminal's Ctrl-C.

- It exits when the process that started it is gone (see `lifeline`); its workers then die too: each
  arms a parent-death signal as it starts (`lifeline.die_with_parent`).
- It ignores SIGINT from its first import on. A terminal's Ctrl-C reaches the whole foreground process
  group, and multiprocessing's forkserver ignores SIGINT only once its preloads are done: a Ctrl-C while
  it loads the lexicons and models would print a KeyboardInterrupt traceback. The run stops it itself.
"""

from __future__ import annotations

import signal

from flows.runtime.lifeline import watch_parent

signal.signal(signal.SIGINT, signal.SIG_IGN)
watch_parent()
