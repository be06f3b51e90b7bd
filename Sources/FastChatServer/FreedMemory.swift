import CMallocTuning

/// How much memory a node's process keeps after freeing it, instead of giving it back to the system at once.
///
/// glibc gives back the free memory at the top of a thread's heap as soon as it exceeds 128 KiB (until it happens to
/// free a large block, which raises that threshold by itself), and the next allocations take it back one page fault,
/// and one zeroed page, at a time. On a node that can happen for every message: SQLite drops its page cache whenever
/// another process has written the file, and reads the pages again into fresh allocations. At 300 messages/s that
/// was up to 37 page faults and one `madvise` per message, depending on the process's history; with this, none
/// (BENCHMARKS.md, "The delivery core, session 17").
public enum FreedMemory {
    /// Enough for the pages of a few transactions, per heap: glibc keeps about one heap per thread that allocates, so
    /// the process holds at most a few MiB more than it uses.
    public static let keptPerHeap = 1 << 20

    /// Keeps up to `bytes` of free memory at the top of each heap; false where the C library has no such setting.
    @discardableResult
    public static func keep(upTo bytes: Int = keptPerHeap) -> Bool {
        fastchat_set_malloc_trim_threshold(Int32(clamping: bytes)) == 1
    }
}
