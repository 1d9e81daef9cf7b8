from asynclint.app.cli import main

main()
