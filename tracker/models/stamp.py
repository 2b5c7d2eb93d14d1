from django.db import models


class DataStamp(models.Model):
    """One row whose token changes with every write to the tracker's data (see tracker/caching.py).

    Cached page data is filed under the current token, so a write makes every cached answer
    unreachable at once, in every process. A token rather than a counter: a write that is rolled
    back must never leave a number that the next write would reuse.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"data changed {self.changed_at:%Y-%m-%d %H:%M:%S}"
