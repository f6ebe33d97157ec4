// TypeDoc plugin: names each entry-point module after its package import path
// (`core/src/backends/wasm` → `@tensorzoo/core/backends/wasm`) instead of its folder.
import { Converter, ReflectionKind } from 'typedoc';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const match = /^(\w+)\/src(?:\/(.+))?$/.exec(module.name);
      if (match) module.name = `@tensorzoo/${match[1]}${match[2] ? `/${match[2]}` : ''}`;
    }
  });
}
