//! Diesel table definitions, written by hand to match `migrations/{sqlite,postgres}`.

diesel::table! {
    actors (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        username -> Text,
        domain -> Text,
        display_name -> Nullable<Text>,
        summary -> Nullable<Text>,
        summary_source -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        is_local -> Bool,
        manually_approves_followers -> Bool,
        discoverable -> Bool,
        posting_restricted_to_mods -> Bool,
        published_at -> Timestamp,
        last_refreshed_at -> Timestamp,
    }
}

diesel::table! {
    communities (actor_id) {
        actor_id -> BigInt,
        terms_of_reference -> Text,
        lifecycle -> Text,
        meeting_mode -> Text,
        parent_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        join_policy -> Text,
    }
}

diesel::table! {
    local_users (actor_id) {
        actor_id -> BigInt,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        is_admin -> Bool,
        status -> Text,
        application -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        actor_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        actor_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        code_hash -> Text,
        community_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        invitee_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    memberships (community_id, person_id) {
        community_id -> BigInt,
        person_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        target_id -> BigInt,
        state -> Text,
        activity_ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    items (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        object_type -> Text,
        author_id -> BigInt,
        origin_community_id -> Nullable<BigInt>,
        title -> Nullable<Text>,
        content -> Text,
        source -> Nullable<Text>,
        url -> Nullable<Text>,
        in_reply_to_id -> Nullable<BigInt>,
        in_reply_to_ap_id -> Nullable<Text>,
        thread_root_id -> Nullable<BigInt>,
        is_local -> Bool,
        published_at -> Timestamp,
        updated_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    placements (id) {
        id -> BigInt,
        community_id -> BigInt,
        item_id -> BigInt,
        how -> Text,
        by_actor_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        hops -> Integer,
        placed_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_id -> BigInt,
        kind -> Text,
        object_ap_id -> Nullable<Text>,
        body -> Text,
        is_public -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instances (id) {
        id -> BigInt,
        domain -> Text,
        consecutive_failures -> Integer,
        paused_until -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        software -> Nullable<Text>,
        software_checked_at -> Nullable<Timestamp>,
        software_error -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        instance_id -> BigInt,
        inbox_url -> Text,
        ordering_key -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        actor_ap_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    events (item_id) {
        item_id -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        timezone -> Nullable<Text>,
        online_url -> Nullable<Text>,
        place_name -> Nullable<Text>,
        place_address -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        status -> Text,
        poll_changed_at -> Nullable<Timestamp>,
        poll_sent_at -> Nullable<Timestamp>,
        published_going -> Nullable<BigInt>,
        published_maybe -> Nullable<BigInt>,
        published_declined -> Nullable<BigInt>,
        published_remaining -> Nullable<BigInt>,
        published_from -> Nullable<Text>,
    }
}

diesel::table! {
    rsvps (id) {
        id -> BigInt,
        event_id -> BigInt,
        person_id -> BigInt,
        answer -> Text,
        state -> Text,
        activity_ap_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    post_states (item_id) {
        item_id -> BigInt,
        state -> Text,
        reason -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    community_profiles (actor_id) {
        actor_id -> BigInt,
        terms_of_reference_html -> Text,
        meeting_rhythm -> Text,
        language -> Nullable<Text>,
        why -> Text,
        proposer_id -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    community_tags (community_id, tag) {
        community_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    community_objectives (id) {
        id -> BigInt,
        community_id -> BigInt,
        kind -> Text,
        title -> Text,
        status -> Text,
        done_on -> Nullable<Text>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_interest (community_id, person_id) {
        community_id -> BigInt,
        person_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_secrets (actor_id) {
        actor_id -> BigInt,
        secret_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        sha256 -> Text,
        media_type -> Text,
        size -> BigInt,
        uploader_id -> BigInt,
        community_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    resource_folders (id) {
        id -> BigInt,
        community_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    resources (item_id) {
        item_id -> BigInt,
        folder_id -> Nullable<BigInt>,
        current_version -> Integer,
        kind -> Text,
    }
}

diesel::table! {
    resource_versions (id) {
        id -> BigInt,
        resource_id -> BigInt,
        version -> Integer,
        title -> Text,
        kind -> Text,
        description_source -> Text,
        description_html -> Text,
        tags -> Text,
        link -> Nullable<Text>,
        attachments -> Text,
        message -> Nullable<Text>,
        edited_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(communities -> actors (actor_id));
diesel::joinable!(post_states -> items (item_id));
diesel::joinable!(events -> items (item_id));
diesel::joinable!(rsvps -> actors (person_id));
diesel::joinable!(calendar_secrets -> actors (actor_id));
diesel::joinable!(local_users -> actors (actor_id));
diesel::joinable!(api_tokens -> actors (actor_id));
diesel::joinable!(sessions -> actors (actor_id));
diesel::table! {
    blocked_instances (domain) {
        domain -> Text,
        reason -> Nullable<Text>,
        blocked_at -> Timestamp,
    }
}

diesel::joinable!(placements -> items (item_id));
diesel::joinable!(items -> actors (author_id));
diesel::joinable!(deliveries -> outbox (outbox_id));
diesel::joinable!(deliveries -> instances (instance_id));
diesel::joinable!(resources -> items (item_id));
diesel::joinable!(resource_versions -> actors (edited_by));

diesel::allow_tables_to_appear_in_same_query!(
    actors,
    communities,
    local_users,
    memberships,
    follows,
    items,
    placements,
    outbox,
    instances,
    deliveries,
    received_activities,
    events,
    rsvps,
    api_tokens,
    sessions,
    login_failures,
    instance_settings,
    invitations,
    post_states,
    community_profiles,
    community_tags,
    community_objectives,
    community_interest,
    calendar_secrets,
    files,
    blocked_instances,
    resource_folders,
    resources,
    resource_versions,
);

diesel::table! {
    mail_jobs (id) {
        id -> BigInt,
        kind -> Text,
        to_address -> Text,
        actor_id -> Nullable<BigInt>,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        unsubscribe_url -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        actor_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_mail (actor_id) {
        actor_id -> BigInt,
        email_confirmed_at -> Nullable<Timestamp>,
        digest -> Bool,
        digest_last_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(account_mail -> actors (actor_id));
diesel::joinable!(mail_tokens -> actors (actor_id));
diesel::allow_tables_to_appear_in_same_query!(mail_jobs, mail_tokens);
diesel::allow_tables_to_appear_in_same_query!(mail_jobs, account_mail);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, account_mail);
diesel::allow_tables_to_appear_in_same_query!(account_mail, actors);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, actors);
diesel::allow_tables_to_appear_in_same_query!(account_mail, local_users);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, local_users);
diesel::allow_tables_to_appear_in_same_query!(account_mail, memberships);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, memberships);
diesel::allow_tables_to_appear_in_same_query!(account_mail, items);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, items);
diesel::allow_tables_to_appear_in_same_query!(account_mail, placements);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, placements);
diesel::allow_tables_to_appear_in_same_query!(account_mail, events);
diesel::allow_tables_to_appear_in_same_query!(mail_tokens, events);

// The directory and the constellation (migration 000017_directory). `directory_entries`
// also has a generated `search` tsvector on PostgreSQL (and an FTS5 table on SQLite),
// read only by the raw queries in `directory.rs`.
diesel::table! {
    directory_entries (id) {
        id -> BigInt,
        ap_id -> Text,
        source_domain -> Text,
        is_local -> Bool,
        name -> Text,
        title -> Text,
        about -> Text,
        tags -> Text,
        language -> Nullable<Text>,
        lifecycle -> Text,
        member_count -> BigInt,
        last_activity_at -> Nullable<Timestamp>,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    constellations (actor_id) {
        actor_id -> BigInt,
        members_url -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    constellation_members (constellation_id, member) {
        constellation_id -> BigInt,
        member -> Text,
        domain -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    directory_sources (domain) {
        domain -> Text,
        directory_url -> Nullable<Text>,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        failures -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        fetched_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(constellations -> actors (actor_id));
diesel::joinable!(constellation_members -> constellations (constellation_id));
diesel::allow_tables_to_appear_in_same_query!(constellations, actors);
diesel::allow_tables_to_appear_in_same_query!(constellation_members, constellations);
diesel::allow_tables_to_appear_in_same_query!(constellation_members, actors);
diesel::allow_tables_to_appear_in_same_query!(constellations, follows);

// Weaving (migration 000016).
diesel::table! {
    weaves (id) {
        id -> BigInt,
        placement_id -> BigInt,
        community_id -> BigInt,
        origin_community_id -> Nullable<BigInt>,
        announce_ap_id -> Text,
        note_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    weave_travels (id) {
        id -> BigInt,
        origin_community_id -> BigInt,
        item_id -> BigInt,
        woven_into_id -> BigInt,
        weaver_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        announce_ap_id -> Text,
        woven_at -> Timestamp,
    }
}

diesel::joinable!(weaves -> placements (placement_id));
diesel::joinable!(weave_travels -> items (item_id));
diesel::allow_tables_to_appear_in_same_query!(weaves, placements);
diesel::allow_tables_to_appear_in_same_query!(weaves, items);
diesel::allow_tables_to_appear_in_same_query!(weaves, actors);
diesel::allow_tables_to_appear_in_same_query!(weave_travels, items);
diesel::allow_tables_to_appear_in_same_query!(weave_travels, actors);

diesel::table! {
    bridges (id) {
        id -> BigInt,
        community_id -> BigInt,
        target_id -> BigInt,
        place_kinds -> Text,
        pass_kinds -> Text,
        state -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(bridges, actors);
diesel::allow_tables_to_appear_in_same_query!(bridges, follows);
