//! Invite links (FORMAT.md#invite-link): any text; a link that parses round-trips.
#![no_main]
use confide::InviteLink;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(link) = InviteLink::parse(&text) {
        let again = InviteLink::parse(&link.to_fragment()).expect("a written link parses");
        assert_eq!(again.invite_id(), link.invite_id());
        assert_eq!(again.inviter_id(), link.inviter_id());
    }
});
