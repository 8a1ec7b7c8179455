/**
 * Engine adapters: one implementation per database engine of probing a node, promoting it,
 * pointing it at a new leader, fencing it and rejoining it. The SPI and the PostgreSQL adapter
 * arrive with the monitor and failover work; this module fixes their place in the build.
 */
package io.regent.engines;
