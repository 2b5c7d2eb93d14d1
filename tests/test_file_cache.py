"""The disk page cache (config/cache.py): it still keeps to its size, but no longer lists its whole
directory on every write."""

from unittest import mock

import pytest

from config.cache import CULL_CHECK_EVERY, FileCache


@pytest.fixture
def small_cache(tmp_path):
    return FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}})


def cached_files(cache) -> int:
    return len(cache._list_cache_files())


def test_a_full_cache_is_culled_on_a_later_write(small_cache):
    for i in range(CULL_CHECK_EVERY + 1):
        small_cache.set(f"key-{i}", "value", 600)
    # The first write checked an empty cache; the check on write CULL_CHECK_EVERY + 1 found it far
    # over its 10 entries and dropped half of them (CULL_FREQUENCY 2).
    assert cached_files(small_cache) <= CULL_CHECK_EVERY // 2 + 1
    assert small_cache.get(f"key-{CULL_CHECK_EVERY}") == "value"  # the write that culled is kept


def test_writes_list_the_directory_only_now_and_then(small_cache):
    with mock.patch.object(FileCache, "_list_cache_files", autospec=True, return_value=[]) as listed:
        for i in range(2 * CULL_CHECK_EVERY):
            small_cache.set(f"key-{i}", "value", 600)
    assert listed.call_count == 2


def test_the_site_caches_pages_in_it_when_no_redis_is_named():
    from django.utils.module_loading import import_string

    from config.settings import page_cache

    assert import_string(page_cache("")["BACKEND"]) is FileCache
