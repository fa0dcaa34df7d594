"""``python -m cacheserver``: the same as the ``cacheserver`` command."""

from cacheserver.cli import main

if __name__ == "__main__":
    main()
