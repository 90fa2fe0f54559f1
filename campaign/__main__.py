from campaign.cli import main

# Guarded: a child process started with "spawn" (parts_to_pdf) imports __main__.
if __name__ == "__main__":
    main()
