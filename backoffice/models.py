"""No models: this module only lets post_migrate reach BackofficeConfig, which builds the roles
from every app's permissions (Django sends post_migrate only to apps with a models module)."""
