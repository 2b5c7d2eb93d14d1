"""How the Python process that serves the site is set up once Django has loaded: called by
config/wsgi.py (so every gunicorn worker has it) and by bench/run.py (which measures pages the way
the server makes them). The test suite and management commands keep Python's defaults."""

import gc

# CPython starts a collection of the youngest generation after every 700 new container objects.
# A page such as a 500-commitment briefing makes hundreds of thousands of short-lived objects (model
# instances, template contexts, strings in lists), so the collector ran hundreds of times per page,
# and each run into the oldest generation walked the ~300,000 objects Django loads at start-up.
# Raising the threshold lets a page finish with a few collections; a page's cyclic garbage waits a
# little longer (at most this many objects, a few MiB). Measured on the briefing of 500 commitments
# (idle, in process): 155 ms with the defaults, 137 ms with these.
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collection() -> None:
    """Leave start-up objects out of every later collection, and collect the young less often."""
    # Modules, URL patterns, settings and compiled templates live as long as the process: frozen,
    # the collector stops re-examining them (gc.freeze's documented use, after start-up, before work).
    # Collected first, so that start-up's own garbage is freed rather than kept for good.
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
