/**
 * Proxy mode: an inbound HTTP proxy in front of the service that injects settings as request
 * headers and reports every response to the guard as an outcome, so a service needs no Crossfade
 * code. {@link io.crossfade.sidecar.proxy.ProxyServer} is the entry point.
 */
package io.crossfade.sidecar.proxy;
