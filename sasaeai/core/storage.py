"""Static files in production: WhiteNoise's hashed, compressed files, tolerant of missing maps.

Django's manifest storage rewrites every reference inside CSS and JS to the hashed name of
the file it points at, and stops collectstatic when that file does not exist. Third-party
packages often point at a source map they do not ship (xstatic-leaflet-markercluster's
`leaflet.markercluster.js` names `leaflet.markercluster.js.map`). A source map only serves a
developer's browser tools, so such a reference is dropped instead of failing the deployment;
a missing image, font or imported script still stops collectstatic as before.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

SOURCE_MAP_MARK = "sourceMappingURL="


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def convert_or_drop_missing_map(matchobj):
            try:
                return convert(matchobj)
            except ValueError:
                if SOURCE_MAP_MARK not in matchobj["matched"]:
                    raise
                logger.info("%s: dropped the reference to a missing source map", name)
                return ""

        return convert_or_drop_missing_map
