import FastChatProtocol
import Foundation
import FuzzSupport

/// Protocol version 2 pushes: a `Deliveries` frame of up to four entries, each the stored item of a validly sealed
/// message, of an arbitrary envelope or notice, or bytes that need not parse at all (a node pushes items unparsed).
extension ClientFixture {
    func deliveries(_ input: inout FuzzInput, seq: UInt64, blobs: inout [Data: [Data]]) -> Frame.OneOf_Body {
        var deliveries = Fastchat_V1_Deliveries()
        for index in 0..<(Int(input.byte() % 4) + 1) {
            var delivery = Fastchat_V1_Delivery()
            delivery.seq = input.bool() ? seq &+ UInt64(index) : input.interesting()
            var item = Fastchat_V1_MailboxItem()
            switch input.byte() % 4 {
            case 0:
                guard case .deliver(let deliver)? = sealedDeliver(&input, seq: delivery.seq, blobs: &blobs) else { break }
                item.envelope = deliver.envelope
            case 1:
                item.envelope = FuzzFrames.envelope(&input, vocabulary)
            case 2:
                item.notice = FuzzFrames.notice(&input, vocabulary)
            default:
                item = input.raw(Fastchat_V1_MailboxItem.self)
            }
            delivery.item = input.byte() < 224 ? (try? item.serializedData()) ?? Data() : input.bytes()
            delivery.storedAtMs = Int64(bitPattern: input.interesting())
            deliveries.entries.append(delivery)
        }
        return .deliveries(deliveries)
    }
}
