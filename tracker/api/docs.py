"""The API's browsable documentation (Swagger UI from the sidecar package's static files) under the
site's strict Content-Security-Policy: drf-spectacular's split view serves the start-up script as
a file of its own (`?script`), and our template drops the stock one's inline <style>."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
