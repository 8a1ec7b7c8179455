-- A replaced leader is rewound into a follower by its node agent unless a cluster opts out.
ALTER TABLE cluster ADD COLUMN auto_rejoin boolean NOT NULL DEFAULT true;
