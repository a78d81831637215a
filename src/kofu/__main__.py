"""`python -m kofu` runs the same command-line tool as `kofu`."""

from kofu.cli import main

if __name__ == "__main__":
    main()
