from smshooks.cli import main

main()
