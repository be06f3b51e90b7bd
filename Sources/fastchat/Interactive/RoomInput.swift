/// What a line typed in a room asks for. Both rooms read their input through it, so the commands they share
/// (`/quit`, `/help`, `/image`, `//` escaping) behave the same in each.
enum RoomInput: Equatable {
    case nothing
    case quit
    case help
    case image(path: String, caption: String)
    /// Another `/command`, for the room to handle or refuse.
    case command(String)
    case text(String)

    init(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "":
            self = .nothing
        case "/quit", "/q":
            self = .quit
        case "/help":
            self = .help
        case _ where trimmed.hasPrefix("//"):
            // "//text" sends "/text", so a message may start with a slash.
            self = .text(String(line.drop { $0 == " " }.dropFirst()))
        case _ where ImageCommand.parse(trimmed) != nil:
            let (path, caption) = ImageCommand.parse(trimmed)!
            self = .image(path: path, caption: caption)
        case _ where trimmed.hasPrefix("/"):
            self = .command(trimmed)
        default:
            self = .text(line)
        }
    }
}
