"""Loaded by the plugin process of tests/e2e/test_image_cache.py (PYTHONPATH): appends one line
to $DECODE_COUNT_FILE each time Pillow decodes an image's pixels, so the test can see from
outside whether a conversion ran or came from the cache. Never part of the plugin."""

import os

from PIL import ImageFile

_load = ImageFile.ImageFile.load


def _counting_load(self):
    if self.tile:  # pixels still to decode (a second load() of the same image decodes nothing)
        with open(os.environ["DECODE_COUNT_FILE"], "a") as counter:
            counter.write("decode\n")
    return _load(self)


ImageFile.ImageFile.load = _counting_load
