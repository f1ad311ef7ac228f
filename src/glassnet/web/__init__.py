"""A local web page to upload or draw a digit and see what a glassnet network thinks of it."""

from .app import (
           LOOPBACK_HOSTS,
           SECURITY_HEADERS,
           allowed_hosts_for,
           check_address,
           check_web_dependencies,
           choose_model,
           create_app,
           default_model,
           make_server,
           picture_preparation,
           serve,
           waitress_options,
)

__all__ = ["LOOPBACK_HOSTS", "SECURITY_HEADERS", "allowed_hosts_for", "check_address", "check_web_dependencies",
           "choose_model", "create_app", "default_model", "make_server", "picture_preparation", "serve",
           "waitress_options"]
