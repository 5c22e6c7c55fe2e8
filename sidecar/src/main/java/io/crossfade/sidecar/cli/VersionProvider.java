package io.crossfade.sidecar.cli;

import picocli.CommandLine.IVersionProvider;

/** The jar's Implementation-Version. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"crossfade " + (v == null ? "development build" : v)};
    }
}
