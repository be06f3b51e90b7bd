import FastChatStore
import Testing

/// The behaviour every `ChatStore` backend must have (DESIGN §6). A backend's test file runs all
/// of it with one parameterized test:
///
///     @Test(arguments: ChatStoreContract.allCases)
///     func contract(_ check: ChatStoreContract) async throws {
///         try await check.run(on: MyBackend())
///     }
enum ChatStoreContract: String, CaseIterable, Sendable, CustomTestStringConvertible {
    // accounts
    case createAndFetchUser
    case unknownUserIsNil
    case takenUsername
    case usernamesAreCaseSensitive
    case legacyUserUpgradesOnce
    case changePasswordReplacesVerifierKDFAndBackup
    // sessions
    case openAndCloseSession
    case alreadyLoggedInNamesTheNode
    case closeSessionFromAnotherNodeKeepsIt
    case closeSessionsOfNode
    case concurrentLoginsHaveOneWinner
    // mailbox
    case acceptStoresOneEntryPerRecipient
    case duplicateStoresNothing
    case duplicateAfterAcknowledge
    case duplicateWithinOneBatch
    case forgottenMessagesAreNewAgain
    case sameIDFromDifferentSenders
    case batchOf500
    case emptyBatchAndEmptyEnvelope
    case pendingOrderAfterSeqAndLimit
    case acknowledgeOnlyOwnEntries
    case seqsAreNeverReused
    case copiesKeepTheirOwnEnvelopes
    case mailboxQuotaRefusesWhatHasNoRoom
    case sharedBodyCompletesEveryRecipientsItem
    case duplicateWithSharedBodyStoresNothing
    case quotaCountsTheSharedBodyPerRecipient
    case acknowledgeABatch
    case commitAcknowledgesThenAccepts
    case concurrentCommitsKeepUsageExact
    // groups
    case createGroupMakesCreatorAdmin
    case takenGroupName
    case joinAndAlreadyMember
    case joinUnknownGroup
    case removeBansUntilUnban
    case leaveGroup
    case setRoleOfMembersOnly
    case setGroupPasswordChangesLoginKey
    case legacyGroupUpgradesOnce
    case deleteGroupRemovesEverything
    case groupsOfUserListsRolesByName
    case membersOfUnknownGroupIsEmpty
    case concurrentJoinsHaveOneWinner
    // sharing
    case reopenKeepsEverything
    case twoStoresWriteConcurrently
    case reopenKeepsGroups
    // nodes
    case registerAndListNodes
    case registerNodeReplacesByName
    case heartbeatUpdatesConnectionsAndTime
    case heartbeatRecordsTheNodesLoad
    case heartbeatOnRemovedNodeIsFalse
    case drainNodeMarksItUntilItRegistersAgain
    case removeNodeClearsItsSessions
    case reapClearsDeadNodesSessions
    case freshNodeIsNotReaped
    case sessionNodeIsPresence
    case registryIsShared
    case concurrentHeartbeatsAndReaps

    var testDescription: String { rawValue }

    func run(on backend: any StoreBackend) async throws {
        try await ContractContext.run(on: backend) { context in
            switch self {
            case .createAndFetchUser: try await Self.createAndFetchUser(context)
            case .unknownUserIsNil: try await Self.unknownUserIsNil(context)
            case .takenUsername: try await Self.takenUsername(context)
            case .usernamesAreCaseSensitive: try await Self.usernamesAreCaseSensitive(context)
            case .legacyUserUpgradesOnce: try await Self.legacyUserUpgradesOnce(context)
            case .changePasswordReplacesVerifierKDFAndBackup:
                try await Self.changePasswordReplacesVerifierKDFAndBackup(context)
            case .openAndCloseSession: try await Self.openAndCloseSession(context)
            case .alreadyLoggedInNamesTheNode: try await Self.alreadyLoggedInNamesTheNode(context)
            case .closeSessionFromAnotherNodeKeepsIt: try await Self.closeSessionFromAnotherNodeKeepsIt(context)
            case .closeSessionsOfNode: try await Self.closeSessionsOfNode(context)
            case .concurrentLoginsHaveOneWinner: try await Self.concurrentLoginsHaveOneWinner(context)
            case .acceptStoresOneEntryPerRecipient: try await Self.acceptStoresOneEntryPerRecipient(context)
            case .duplicateStoresNothing: try await Self.duplicateStoresNothing(context)
            case .duplicateAfterAcknowledge: try await Self.duplicateAfterAcknowledge(context)
            case .duplicateWithinOneBatch: try await Self.duplicateWithinOneBatch(context)
            case .forgottenMessagesAreNewAgain: try await Self.forgottenMessagesAreNewAgain(context)
            case .sameIDFromDifferentSenders: try await Self.sameIDFromDifferentSenders(context)
            case .batchOf500: try await Self.batchOf500(context)
            case .emptyBatchAndEmptyEnvelope: try await Self.emptyBatchAndEmptyEnvelope(context)
            case .pendingOrderAfterSeqAndLimit: try await Self.pendingOrderAfterSeqAndLimit(context)
            case .acknowledgeOnlyOwnEntries: try await Self.acknowledgeOnlyOwnEntries(context)
            case .seqsAreNeverReused: try await Self.seqsAreNeverReused(context)
            case .copiesKeepTheirOwnEnvelopes: try await Self.copiesKeepTheirOwnEnvelopes(context)
            case .mailboxQuotaRefusesWhatHasNoRoom: try await Self.mailboxQuotaRefusesWhatHasNoRoom(context)
            case .sharedBodyCompletesEveryRecipientsItem: try await Self.sharedBodyCompletesEveryRecipientsItem(context)
            case .duplicateWithSharedBodyStoresNothing: try await Self.duplicateWithSharedBodyStoresNothing(context)
            case .quotaCountsTheSharedBodyPerRecipient: try await Self.quotaCountsTheSharedBodyPerRecipient(context)
            case .acknowledgeABatch: try await Self.acknowledgeABatch(context)
            case .commitAcknowledgesThenAccepts: try await Self.commitAcknowledgesThenAccepts(context)
            case .concurrentCommitsKeepUsageExact: try await Self.concurrentCommitsKeepUsageExact(context)
            case .createGroupMakesCreatorAdmin: try await Self.createGroupMakesCreatorAdmin(context)
            case .takenGroupName: try await Self.takenGroupName(context)
            case .joinAndAlreadyMember: try await Self.joinAndAlreadyMember(context)
            case .joinUnknownGroup: try await Self.joinUnknownGroup(context)
            case .removeBansUntilUnban: try await Self.removeBansUntilUnban(context)
            case .leaveGroup: try await Self.leaveGroup(context)
            case .setRoleOfMembersOnly: try await Self.setRoleOfMembersOnly(context)
            case .setGroupPasswordChangesLoginKey: try await Self.setGroupPasswordChangesLoginKey(context)
            case .legacyGroupUpgradesOnce: try await Self.legacyGroupUpgradesOnce(context)
            case .deleteGroupRemovesEverything: try await Self.deleteGroupRemovesEverything(context)
            case .groupsOfUserListsRolesByName: try await Self.groupsOfUserListsRolesByName(context)
            case .membersOfUnknownGroupIsEmpty: try await Self.membersOfUnknownGroupIsEmpty(context)
            case .concurrentJoinsHaveOneWinner: try await Self.concurrentJoinsHaveOneWinner(context)
            case .reopenKeepsEverything: try await Self.reopenKeepsEverything(context)
            case .twoStoresWriteConcurrently: try await Self.twoStoresWriteConcurrently(context)
            case .reopenKeepsGroups: try await Self.reopenKeepsGroups(context)
            case .registerAndListNodes: try await Self.registerAndListNodes(context)
            case .registerNodeReplacesByName: try await Self.registerNodeReplacesByName(context)
            case .heartbeatUpdatesConnectionsAndTime: try await Self.heartbeatUpdatesConnectionsAndTime(context)
            case .heartbeatRecordsTheNodesLoad: try await Self.heartbeatRecordsTheNodesLoad(context)
            case .heartbeatOnRemovedNodeIsFalse: try await Self.heartbeatOnRemovedNodeIsFalse(context)
            case .drainNodeMarksItUntilItRegistersAgain: try await Self.drainNodeMarksItUntilItRegistersAgain(context)
            case .removeNodeClearsItsSessions: try await Self.removeNodeClearsItsSessions(context)
            case .reapClearsDeadNodesSessions: try await Self.reapClearsDeadNodesSessions(context)
            case .freshNodeIsNotReaped: try await Self.freshNodeIsNotReaped(context)
            case .sessionNodeIsPresence: try await Self.sessionNodeIsPresence(context)
            case .registryIsShared: try await Self.registryIsShared(context)
            case .concurrentHeartbeatsAndReaps: try await Self.concurrentHeartbeatsAndReaps(context)
            }
        }
    }
}
