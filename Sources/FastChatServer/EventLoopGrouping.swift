import NIOCore

extension Sequence {
    /// The elements by the event loop each is for, each loop's in the order given: work for many connections is
    /// handed to each of their loops in one hop.
    func groupedByEventLoop(_ loopOf: (Element) -> any EventLoop) -> [(loop: any EventLoop, elements: [Element])] {
        var groups: [ObjectIdentifier: (loop: any EventLoop, elements: [Element])] = [:]
        for element in self {
            let loop = loopOf(element)
            groups[ObjectIdentifier(loop), default: (loop, [])].elements.append(element)
        }
        return Array(groups.values)
    }
}
