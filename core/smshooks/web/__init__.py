"""HTTP surface: vendor-facing hooks, the admin and send API, the admin pages."""
