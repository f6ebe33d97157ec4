// tensorzoo layout: the per-variable layout GemmaBackbone.getLayoutMap gives for a device mesh.
import { DeviceMesh, GemmaBackbone, quantizedLayersFor } from '@tensorzoo/models';
import { requiredString, UsageError, type CommandSpec } from '../usage.js';

export const layoutCommand: CommandSpec = {
  name: 'layout',
  summary: 'Print [{"path", "shape", "dtype", "axes"}] for every variable of the preset under GemmaBackbone.getLayoutMap on a device mesh.',
  usage: 'tensorzoo layout --preset P --mesh 2x4 [--axis-names batch,model] [--quantize int8|int4]',
  options: { preset: { type: 'string' }, mesh: { type: 'string' }, 'axis-names': { type: 'string' }, quantize: { type: 'string' } },
  optionHelp: [
    ['--preset P', 'built-in name (architecture only, nothing downloaded), or a local/remote preset'],
    ['--mesh AxB', 'mesh shape, e.g. 2x4'],
    ['--axis-names N,M', 'mesh axis names (default batch,model)'],
    ['--quantize MODE', "the variables after quantize('int8' | 'int4') (a quantized preset lists its own)"],
  ],
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError(`layout: unexpected argument ${JSON.stringify(positionals[0])}`);
    const preset = requiredString('layout', 'preset', values.preset);
    const meshText = requiredString('layout', 'mesh', values.mesh);
    const shape = meshText.split('x').map(Number);
    if (!shape.length || shape.some((size) => !Number.isInteger(size) || size <= 0))
      throw new UsageError(`layout: --mesh expected sizes like 2x4, received ${JSON.stringify(meshText)}`);
    const axisNames = typeof values['axis-names'] === 'string' ? values['axis-names'].split(',') : ['batch', 'model'];
    if (axisNames.length !== shape.length)
      throw new UsageError(`layout: --axis-names expected ${shape.length} names for mesh ${meshText}, received ${JSON.stringify(values['axis-names'])}`);
    // Layouts are planned for a mesh of any size; the devices are named, not required to exist.
    const deviceCount = shape.reduce((total, size) => total * size, 1);
    const mesh = new DeviceMesh(shape, axisNames, Array.from({ length: deviceCount }, (_, index) => `device:${index}`));
    // Paths and shapes come from the configuration alone: a 27B preset is never allocated.
    const config = await GemmaBackbone.presetConfig(preset);
    const quantize = values.quantize;
    if (quantize !== undefined && quantize !== 'int8' && quantize !== 'int4') throw new UsageError(`layout: --quantize expected int8 or int4, received ${JSON.stringify(quantize)}`);
    if (quantize !== undefined && Object.keys(config.quantizedLayers ?? {}).length > 0)
      throw new UsageError(`layout: --quantize ${quantize}: the preset is already quantized (${Object.values(config.quantizedLayers!)[0]})`);
    if (quantize !== undefined) config.quantizedLayers = quantizedLayersFor(quantize, config.numLayers);
    const layoutMap = GemmaBackbone.getLayoutMap(mesh);
    // Quantized layers list Keras's quantized variables (kernel, kernel_scale, …) with their dtypes.
    const rows = GemmaBackbone.variableSpecs(config).map(({ path, shape, dtype }) => ({ path, shape, dtype, axes: layoutMap.get(path)?.axes ?? null }));
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  },
};
