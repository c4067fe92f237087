from wpstrack.cli import main

main()
