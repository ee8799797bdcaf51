"""Localization: blame over the subfunction tree and line ranking with weighted evidence."""
